"""The seed scenarios and the extra ones, written the Starlette way: ``async def`` endpoints
taking the request, ``Route`` tables, response classes, an exception handler for 404.

Where Starlette's defaults differ from what the scenarios pin down (Flask's defaults), the
endpoint says so: ``Content-Type: text/plain`` without a charset, and a cookie with the
``Expires`` Flask derives from ``max_age``. Static files are a ``StaticFiles`` mount of
``static/`` beside this module. ``routes_app`` is the 50-route app. There is no session app:
Starlette's ``SessionMiddleware`` keeps its own cookie format, not Flask's.
"""

from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

# Where the form endpoints put what they read (a real app would use a database).
USERS: dict[str | None, tuple[str | None, str]] = {}
SIGNUPS: dict[str | None, str | None] = {}


async def index(request):
    return HTMLResponse("Hello, World!")


async def custom_header(request):
    headers = {"Custom-Header": "Special-Value", "Content-Type": "text/plain"}
    return Response("Content with custom header", headers=headers)


async def set_cookie(request):
    response = HTMLResponse("Cookie has been set!")
    response.set_cookie("user_id", "12345", max_age=3600, expires=3600)
    return response


async def get_data(request):
    return JSONResponse({"name": "John", "age": 30})


async def user_details(request):
    if request.method == "POST":
        form = await request.form()
        USERS[form.get("username")] = (form.get("firstname"), form["lastname"])
        return HTMLResponse("Success", status_code=201)
    return HTMLResponse("Send the form with POST")


async def get_user(request):
    return JSONResponse({"id": request.path_params["user_id"], "name": "John"})


async def user_sign_up(request):
    form = await request.form()
    SIGNUPS[form.get("username")] = form.get("password")
    return HTMLResponse("Success", headers={"Access-Control-Allow-Origin": "*"})


async def not_found(request, exc):
    return JSONResponse({"error": "Resource not found"}, status_code=404)


# ----------------------------------------------------------------------------- extras


async def search(request):
    page = request.query_params.get("page", "1")
    return JSONResponse({"q": request.query_params.get("q"), "page": int(page)})


async def read_cookie(request):
    return HTMLResponse(f"user_id={request.cookies.get('user_id')}")


async def upload(request):
    async with request.form() as form:
        file = form["file"]
        data = await file.read()
        return JSONResponse({"filename": file.filename, "size": len(data)})


CHUNK = b"x" * 65536


async def chunks():
    for _ in range(160):
        yield CHUNK


async def stream(request):
    return StreamingResponse(chunks(), media_type="application/octet-stream")


HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
ITEMS = [{"id": n, "name": f"Item {n}", "price": f"{n * 1.5:.2f}"} for n in range(20)]


async def template(request):
    context = {"title": "Items & prices", "items": ITEMS}
    return TEMPLATES.TemplateResponse(request, "items.html", context)


app = Starlette(
    routes=[
        Route("/", index),
        Route("/custom-header", custom_header),
        Route("/set-cookie", set_cookie),
        Route("/api/data", get_data),
        Route("/userDetails", user_details, methods=["GET", "POST"]),
        Route("/users/{user_id:int}", get_user),
        Route("/userSignUp", user_sign_up, methods=["POST"]),
        Route("/search", search),
        Route("/read-cookie", read_cookie),
        Route("/async", index),
        Route("/upload", upload, methods=["POST"]),
        Route("/stream", stream),
        Route("/template", template),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ],
    exception_handlers={404: not_found},
)


def collection_routes(name):
    async def collection(request):
        return JSONResponse({"collection": name})

    async def item(request):
        return JSONResponse({"collection": name, "id": request.path_params["item_id"]})

    return [Route(f"/api/{name}", collection), Route(f"/api/{name}/{{item_id:int}}", item)]


# A 50-route app: 25 collections, each with a static and a dynamic route.
routes_app = Starlette(
    routes=[route for number in range(25) for route in collection_routes(f"items{number}")]
)
