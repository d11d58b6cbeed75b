from django.conf import settings
from django.db.models import Count
from django.db.models.functions import Length
from django.shortcuts import get_object_or_404
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from .models import LearningResource
from .serializers import (
    ResourceDetailSerializer,
    ResourceSerializer,
    ResourceWithTitleLengthSerializer,
    ResourceWithViewCountSerializer,
    ViewSerializer,
)


class ResourcePagination(PageNumberPagination):
    page_size = 20


def published():
    return LearningResource.objects.filter(status=LearningResource.PUBLISHED)


class ResourceList(generics.ListAPIView):
    """GET /api/resources/[?author=ID][&page=N]: published resources, newest first.

    settings.APP_RELEASE picks the release deployed:
      1: resources with their authors joined in;
      2: adds each resource's view count (an aggregation over views);
      3: adds each title's length;
      4: drops select_related("author"), so every row loads its author
         with a query of its own.
    """

    pagination_class = ResourcePagination

    def get_queryset(self):
        release = settings.APP_RELEASE
        resources = published()
        if release != 4:
            resources = resources.select_related("author")
        if release == 2:
            resources = resources.annotate(view_count=Count("views"))
        elif release == 3:
            resources = resources.annotate(title_length=Length("title"))
        author = self.request.query_params.get("author")
        if author is not None:
            if not author.isdigit():
                raise ValidationError({"author": "want an author id"})
            resources = resources.filter(author_id=int(author))
        return resources.order_by("-created_at", "-id")

    def get_serializer_class(self):
        if settings.APP_RELEASE == 2:
            return ResourceWithViewCountSerializer
        if settings.APP_RELEASE == 3:
            return ResourceWithTitleLengthSerializer
        return ResourceSerializer


class ResourceDetail(generics.RetrieveAPIView):
    """GET /api/resources/ID/: one published resource and its view count."""

    serializer_class = ResourceDetailSerializer

    def get_queryset(self):
        return published().select_related("author")


class ResourceViews(generics.CreateAPIView):
    """POST /api/resources/ID/views/ {"seconds": N}: records that a reader opened it."""

    serializer_class = ViewSerializer

    def perform_create(self, serializer):
        serializer.save(resource=get_object_or_404(published(), pk=self.kwargs["pk"]))
