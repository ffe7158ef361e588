from django.urls import path, register_converter

from offboarding.views import exports, invoices, portal
from offboarding.views import notices as notice_views

app_name = "offboarding"

# A case's public id: URL-safe base64 characters only, so nothing else reaches a query.
register_converter(portal.CaseTokenConverter, "case_token")

urlpatterns: list = [
    path("", portal.portal, name="portal"),
    path("cancel/", portal.cancel, name="cancel"),
    path("withdraw-from-contract/", portal.contract_withdrawal, name="contract-withdrawal"),
    path("reauthenticate/", portal.reauthenticate, name="reauthenticate"),
    path("c/<case_token:public_id>/", portal.status, name="status"),
    path("c/<case_token:public_id>/offers/", portal.offer_list, name="offers"),
    path("c/<case_token:public_id>/offers/accept/", portal.offer_accept, name="offer-accept"),
    path("c/<case_token:public_id>/offers/decline/", portal.offer_decline, name="offer-decline"),
    path("c/<case_token:public_id>/survey/", portal.survey, name="survey"),
    path("c/<case_token:public_id>/confirmation/", portal.receipt, name="receipt"),
    path("c/<case_token:public_id>/withdraw/", portal.withdraw, name="withdraw"),
    path("c/<case_token:public_id>/resume/", portal.resume, name="resume"),
    path("c/<case_token:public_id>/vault/", portal.vault, name="vault"),
    path("c/<case_token:public_id>/leave-vault/", portal.leave_vault, name="leave-vault"),
    path("c/<case_token:public_id>/reactivate/", portal.reactivate, name="reactivate"),
    path("c/<case_token:public_id>/delete-data/", portal.delete_data, name="delete-data"),
    path(
        "c/<case_token:public_id>/deletion-certificate/",
        portal.certificate_download,
        name="certificate-download",
    ),
    path("invoices/<str:token>/pdf/", invoices.download, name="invoice-download"),
    path("unsubscribe/<str:token>/", notice_views.unsubscribe, name="notice_unsubscribe"),
    path("exports/request/", exports.export_request, name="export-request"),
    path("exports/<str:token>/", exports.export_status, name="export-status"),
    path("exports/download/<str:signed>/", exports.export_download, name="export-download"),
]
