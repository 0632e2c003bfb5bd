from django.urls import path

from apps.staff import views

app_name = "staff"

urlpatterns = [
    path(
        "set-password/<uidb64>/<token>/",
        views.SetPasswordView.as_view(),
        name="set-password",
    ),
    path(
        "set-password/done/",
        views.SetPasswordDoneView.as_view(),
        name="set-password-done",
    ),
]
