console.log("carafe");
