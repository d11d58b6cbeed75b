from rest_framework import serializers

from .models import LearningResource, View


class ResourceSerializer(serializers.ModelSerializer):
    """A resource as the list shows it."""

    author_name = serializers.CharField(source="author.name", read_only=True)

    class Meta:
        model = LearningResource
        fields = ["id", "title", "url", "status", "created_at", "author", "author_name"]


class ResourceWithViewCountSerializer(ResourceSerializer):
    """Release 2: the list shows how often each resource was opened."""

    view_count = serializers.IntegerField(read_only=True)

    class Meta(ResourceSerializer.Meta):
        fields = ResourceSerializer.Meta.fields + ["view_count"]


class ResourceWithTitleLengthSerializer(ResourceSerializer):
    """Release 3: the list gives each title's length, for the clients' layout."""

    title_length = serializers.IntegerField(read_only=True)

    class Meta(ResourceSerializer.Meta):
        fields = ResourceSerializer.Meta.fields + ["title_length"]


class ResourceDetailSerializer(ResourceSerializer):
    """A resource on its own page, with how often it was opened."""

    view_count = serializers.SerializerMethodField()

    class Meta(ResourceSerializer.Meta):
        fields = ResourceSerializer.Meta.fields + ["view_count"]

    def get_view_count(self, resource):
        return resource.views.count()


class ViewSerializer(serializers.ModelSerializer):
    class Meta:
        model = View
        fields = ["id", "resource", "viewed_at", "seconds"]
        read_only_fields = ["resource", "viewed_at"]
