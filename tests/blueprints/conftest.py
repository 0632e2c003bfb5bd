from tests.vapi.payloads.vapi_api import fake_vapi, vapi_api_settings  # noqa: F401
