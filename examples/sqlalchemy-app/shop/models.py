"""The shop's tables: users sell products and review them."""

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


class User(Base):
    """A customer of the marketplace: sells products, writes reviews."""

    __tablename__ = "users"

    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
    email = Column(String(254), nullable=False, unique=True)
    created_at = Column(DateTime(timezone=True), nullable=False, server_default=func.now())

    products = relationship("Product", back_populates="seller")


class Product(Base):
    """A product listed by a seller; only active ones are shown."""

    __tablename__ = "products"

    id = Column(Integer, primary_key=True)
    seller_id = Column(ForeignKey("users.id"), nullable=False, index=True)
    title = Column(String(200), nullable=False)
    description = Column(Text, nullable=False, default="")
    price_cents = Column(Integer, nullable=False)
    # active, draft or archived
    status = Column(String(20), nullable=False, default="draft")
    created_at = Column(DateTime(timezone=True), nullable=False, server_default=func.now(), index=True)

    seller = relationship("User", back_populates="products")
    reviews = relationship("Review", back_populates="product", order_by="Review.created_at")


class Review(Base):
    """A user's rating of a product, 1 to 5 stars, with a comment."""

    __tablename__ = "reviews"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="reviews_rating_range"),)

    id = Column(Integer, primary_key=True)
    product_id = Column(ForeignKey("products.id"), nullable=False, index=True)
    author_id = Column(ForeignKey("users.id"), nullable=False, index=True)
    rating = Column(SmallInteger, nullable=False)
    body = Column(Text, nullable=False, default="")
    created_at = Column(DateTime(timezone=True), nullable=False, server_default=func.now())

    product = relationship("Product", back_populates="reviews")
    author = relationship("User")
