"""The shop's JSON API as a WSGI application.

    GET  /products?page=N           active products, newest first, 20 a page
    GET  /products/ID               a product, its seller and latest reviews
    POST /products/ID/reviews       {"author_id": 2, "rating": 4, "body": "..."}

Serve it on localhost:8000 with `python3 -m shop.web`.
"""

import json
import re
from urllib.parse import parse_qs

from . import service
from .db import make_engine, make_sessionmaker

PRODUCT = re.compile(r"^/products/([0-9]+)$")
PRODUCT_REVIEWS = re.compile(r"^/products/([0-9]+)/reviews$")
MAX_BODY = 64 * 1024


class App:
    """Routes requests to the service, one session and transaction per request."""

    def __init__(self, sessions, release):
        self.sessions = sessions
        self.release = release

    def __call__(self, environ, start_response):
        try:
            status, payload = self.route(environ)
        except service.NotFound as e:
            status, payload = "404 Not Found", {"detail": str(e)}
        except service.Invalid as e:
            status, payload = "400 Bad Request", {"detail": str(e)}
        body = json.dumps(payload).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def route(self, environ):
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "/")
        if path == "/products" and method == "GET":
            query = parse_qs(environ.get("QUERY_STRING", ""))
            page = query.get("page", ["1"])[0]
            if not page.isdigit():
                raise service.Invalid("page must be a number")
            with self.sessions() as session, session.begin():
                return "200 OK", service.list_products(session, int(page), self.release)
        m = PRODUCT.match(path)
        if m and method == "GET":
            with self.sessions() as session, session.begin():
                return "200 OK", service.get_product(session, int(m.group(1)))
        m = PRODUCT_REVIEWS.match(path)
        if m and method == "POST":
            data = read_json(environ)
            with self.sessions() as session, session.begin():
                review = service.add_review(
                    session,
                    int(m.group(1)),
                    data.get("author_id"),
                    data.get("rating"),
                    data.get("body", ""),
                )
            return "201 Created", review
        return "404 Not Found", {"detail": "no route for %s %s" % (method, path)}


def read_json(environ):
    """The request's JSON object body."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        raise service.Invalid("request body too large")
    try:
        data = json.loads(environ["wsgi.input"].read(length) or b"{}")
    except ValueError:
        raise service.Invalid("request body is not JSON")
    if not isinstance(data, dict):
        raise service.Invalid("request body must be a JSON object")
    if not isinstance(data.get("author_id"), int):
        raise service.Invalid("author_id must be a user's id")
    return data


def make_app():
    """The application for the configured database and APP_RELEASE."""
    return App(make_sessionmaker(make_engine()), service.current_release())


if __name__ == "__main__":
    from wsgiref.simple_server import make_server

    with make_server("localhost", 8000, make_app()) as server:
        print("serving on http://localhost:8000")
        server.serve_forever()
