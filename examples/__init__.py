"""Runnable Carafe example applications."""
