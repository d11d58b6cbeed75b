from datetime import datetime, timedelta, timezone

from django.test import TestCase
from rest_framework.test import APIClient

from .models import Author, LearningResource, View

START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def make_catalog():
    """Three authors, 45 published resources (newest last), 9 unpublished
    ones and a few views; returns the authors and the published resources."""
    authors = [
        Author.objects.create(name="Ada Lovelace", email="ada@example.com", joined_at=START),
        Author.objects.create(name="Grace Hopper", email="grace@example.com", joined_at=START),
        Author.objects.create(name="Edsger Dijkstra", email="edsger@example.com", joined_at=START),
    ]
    resources = []
    for i in range(54):
        if i % 6 == 5:
            status = LearningResource.DRAFT if i % 12 == 5 else LearningResource.ARCHIVED
        else:
            status = LearningResource.PUBLISHED
        resources.append(
            LearningResource(
                title="Lesson %d: %s" % (i, ["Pointers", "Recursion", "Queues"][i % 3]),
                url="https://learn.example.com/lessons/%d" % i,
                status=status,
                created_at=START + timedelta(hours=i),
                author=authors[i % 3],
            )
        )
    LearningResource.objects.bulk_create(resources)
    published = [r for r in resources if r.status == LearningResource.PUBLISHED]
    View.objects.bulk_create(
        View(resource=r, viewed_at=START + timedelta(days=1, minutes=n), seconds=30 * n)
        for r in published[:5]
        for n in range(1, 4)
    )
    return authors, published


class ResourceListTests(TestCase):
    client_class = APIClient

    @classmethod
    def setUpTestData(cls):
        cls.authors, cls.published = make_catalog()

    def test_first_page(self):
        response = self.client.get("/api/resources/")
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(body["count"], 45)
        self.assertIsNone(body["previous"])
        self.assertIn("page=2", body["next"])
        self.assertEqual(len(body["results"]), 20)
        newest = self.published[-1]
        self.assertEqual(body["results"][0]["id"], newest.pk)
        self.assertEqual(body["results"][0]["author_name"], newest.author.name)

    def test_second_page(self):
        response = self.client.get("/api/resources/", {"page": 2})
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(len(body["results"]), 20)
        self.assertEqual(body["results"][0]["id"], self.published[-21].pk)
        self.assertIn("page=3", body["next"])

    def test_only_published(self):
        response = self.client.get("/api/resources/", {"page": 3})
        self.assertEqual(response.status_code, 200)
        results = response.json()["results"]
        self.assertEqual(len(results), 5)
        self.assertEqual({r["status"] for r in results}, {"published"})

    def test_filter_by_author(self):
        grace = self.authors[1]
        response = self.client.get("/api/resources/", {"author": grace.pk})
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(body["count"], 18)
        self.assertEqual({r["author_name"] for r in body["results"]}, {"Grace Hopper"})

    def test_bad_author(self):
        response = self.client.get("/api/resources/", {"author": "grace"})
        self.assertEqual(response.status_code, 400)


class ResourceDetailTests(TestCase):
    client_class = APIClient

    @classmethod
    def setUpTestData(cls):
        cls.authors, cls.published = make_catalog()

    def test_detail(self):
        resource = self.published[0]
        response = self.client.get("/api/resources/%d/" % resource.pk)
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(body["title"], resource.title)
        self.assertEqual(body["author_name"], "Ada Lovelace")
        self.assertEqual(body["view_count"], 3)

    def test_unpublished_is_not_found(self):
        draft = LearningResource.objects.filter(status=LearningResource.DRAFT).first()
        response = self.client.get("/api/resources/%d/" % draft.pk)
        self.assertEqual(response.status_code, 404)


class RecordViewTests(TestCase):
    client_class = APIClient

    @classmethod
    def setUpTestData(cls):
        cls.authors, cls.published = make_catalog()

    def test_record_view(self):
        resource = self.published[7]
        response = self.client.post("/api/resources/%d/views/" % resource.pk, {"seconds": 42})
        self.assertEqual(response.status_code, 201)
        self.assertEqual(response.json()["seconds"], 42)
        detail = self.client.get("/api/resources/%d/" % resource.pk).json()
        self.assertEqual(detail["view_count"], 1)
