"""What the API's endpoints do, on a session the caller opens and commits.

APP_RELEASE picks the release of the product list that runs (see
current_release); everything else is the same in every release.
"""

import os

from sqlalchemy import func
from sqlalchemy.orm import joinedload

from .models import Product, Review, User

PAGE_SIZE = 20
LATEST_REVIEWS = 5

# The releases of the product list:
#  1  products, newest first, and the paginator's count
#  2  adds each product's number of reviews: an outer join and GROUP BY in the
#     list, which the paginator's count wraps
#  3  adds the title's length, for the storefront's card layout
#  4  adds each product's average rating from its reviews, read through the
#     lazy-loaded Product.reviews while the page is serialized
RELEASES = (1, 2, 3, 4)


def current_release():
    """The release APP_RELEASE names, 1 when unset."""
    value = os.environ.get("APP_RELEASE", "1")
    try:
        release = int(value)
    except ValueError:
        release = 0
    if release not in RELEASES:
        raise ValueError("APP_RELEASE=%r: want one of %s" % (value, ", ".join(map(str, RELEASES))))
    return release


class NotFound(Exception):
    """The product or user asked for does not exist."""


class Invalid(Exception):
    """The request asks for something the API refuses."""


def list_products(session, page=1, release=1):
    """One page of the active products, newest first, and the total for the paginator."""
    if page < 1:
        raise Invalid("page must be 1 or more")
    if release == 2:
        query = (
            session.query(Product, func.count(Review.id).label("review_count"))
            .outerjoin(Product.reviews)
            .group_by(Product.id)
        )
    elif release == 3:
        query = session.query(Product, func.length(Product.title).label("title_length"))
    else:
        query = session.query(Product)
    query = query.filter(Product.status == "active").order_by(Product.created_at.desc(), Product.id.desc())

    total = query.count()
    rows = query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE).all()

    results = []
    for row in rows:
        if release == 2:
            product, review_count = row
            item = product_summary(product)
            item["review_count"] = review_count
        elif release == 3:
            product, title_length = row
            item = product_summary(product)
            item["title_length"] = title_length
        else:
            item = product_summary(row)
            if release == 4:
                item["rating"] = average_rating(row.reviews)
        results.append(item)
    return {"count": total, "page": page, "per_page": PAGE_SIZE, "results": results}


def get_product(session, product_id):
    """A product with its seller and its latest reviews."""
    product = session.get(Product, product_id, options=[joinedload(Product.seller)])
    if product is None:
        raise NotFound("no product %d" % product_id)
    latest = (
        session.query(Review)
        .options(joinedload(Review.author))
        .filter(Review.product_id == product.id)
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(LATEST_REVIEWS)
        .all()
    )
    item = product_summary(product)
    item["description"] = product.description
    item["seller"] = {"id": product.seller.id, "name": product.seller.name}
    item["latest_reviews"] = [review_detail(r) for r in latest]
    return item


def add_review(session, product_id, author_id, rating, body=""):
    """Adds a user's review of an active product and returns it."""
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise Invalid("rating must be a whole number from 1 to 5")
    product = session.get(Product, product_id)
    if product is None or product.status != "active":
        raise NotFound("no product %d" % product_id)
    author = session.get(User, author_id)
    if author is None:
        raise Invalid("no user %d" % author_id)
    review = Review(product=product, author=author, rating=rating, body=body)
    session.add(review)
    session.flush()
    return review_detail(review)


def product_summary(product):
    """The fields of a product every listing shows."""
    return {
        "id": product.id,
        "title": product.title,
        "price_cents": product.price_cents,
        "created_at": product.created_at.isoformat(),
    }


def review_detail(review):
    """A review as the API shows it."""
    return {
        "id": review.id,
        "author": {"id": review.author.id, "name": review.author.name},
        "rating": review.rating,
        "body": review.body,
        "created_at": review.created_at.isoformat(),
    }


def average_rating(reviews):
    """The mean rating of reviews to one decimal, None without reviews."""
    if not reviews:
        return None
    return round(sum(r.rating for r in reviews) / len(reviews), 1)
