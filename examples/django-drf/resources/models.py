from django.db import models
from django.utils import timezone


class Author(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField(unique=True)
    joined_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.name


class LearningResource(models.Model):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"
    STATUS_CHOICES = [(DRAFT, "Draft"), (PUBLISHED, "Published"), (ARCHIVED, "Archived")]

    title = models.CharField(max_length=200)
    url = models.URLField()
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=DRAFT)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="resources")

    def __str__(self):
        return self.title


class View(models.Model):
    """One reader opening a resource."""

    resource = models.ForeignKey(LearningResource, on_delete=models.CASCADE, related_name="views")
    viewed_at = models.DateTimeField(default=timezone.now)
    seconds = models.PositiveIntegerField(default=0)
