"""End-to-end tests: a real server in a subprocess, real clients over loopback."""
