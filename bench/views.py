"""The baseline: the cheapest useful DRF request this server can answer."""

from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.leads.models import Lead


class BaselineView(APIView):
    """One indexed read (a lead by its unique business and phone) as JSON, no auth."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        lead = (
            Lead.objects.filter(
                business_id=request.query_params.get("business"),
                phone=request.query_params.get("phone", ""),
            )
            .values("id", "name", "status")
            .first()
        )
        return Response(lead or {})
