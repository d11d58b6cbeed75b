from django.urls import path

from . import views

urlpatterns = [
    path("resources/", views.ResourceList.as_view(), name="resource-list"),
    path("resources/<int:pk>/", views.ResourceDetail.as_view(), name="resource-detail"),
    path("resources/<int:pk>/views/", views.ResourceViews.as_view(), name="resource-views"),
]
