"""The console's routers, one per job; `casework.console.app.create_app` includes them all."""
