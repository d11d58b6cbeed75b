"""Settings for the learnhub API.

The database comes from DATABASE_URL (postgres://user:password@host:port/name)
or, when that is unset, from libpq's PGHOST, PGPORT, PGUSER, PGPASSWORD and
PGDATABASE. APP_RELEASE (1 to 4) picks the release of the resources list
that is deployed; see resources/views.py.
"""
import os
from urllib.parse import parse_qsl, unquote, urlsplit

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "learnhub-development-key")
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]

# An API-only service: no admin, sessions or django.contrib.auth.
INSTALLED_APPS = [
    "rest_framework",
    "resources",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "learnhub.urls"
WSGI_APPLICATION = "learnhub.wsgi.application"

APP_RELEASE = int(os.environ.get("APP_RELEASE", "1"))


def database_from_env(environ=os.environ):
    """Returns the default database's settings from the environment."""
    url = environ.get("DATABASE_URL")
    if not url:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": environ.get("PGDATABASE", "learnhub"),
            "USER": environ.get("PGUSER", ""),
            "PASSWORD": environ.get("PGPASSWORD", ""),
            "HOST": environ.get("PGHOST", ""),
            "PORT": environ.get("PGPORT", ""),
        }
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError("DATABASE_URL: want a postgres:// URL, got %s://" % parts.scheme)
    # libpq's URL form may give any part as a query parameter instead
    # (postgres:///learnhub?host=/run/postgresql&port=5433); the rest, such
    # as sslmode, are connection options.
    options = dict(parse_qsl(parts.query))
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": options.pop("dbname", unquote(parts.path.lstrip("/")) or environ.get("PGDATABASE", "learnhub")),
        "USER": options.pop("user", unquote(parts.username or "")),
        "PASSWORD": options.pop("password", unquote(parts.password or "")),
        "HOST": options.pop("host", unquote(parts.hostname or "")),
        "PORT": options.pop("port", str(parts.port or "")),
        "OPTIONS": options,
    }


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
