"""The sanctions lists this service knows: id, human name, formats and official source URL."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ListSpec:
    id: str
    name: str
    formats: tuple[str, ...]  # formats a version of this list may come in
    url: str  # the official download address used by `lists refresh` (configurable)
    publisher: str


LISTS: dict[str, ListSpec] = {
    spec.id: spec
    for spec in (
        ListSpec(
            "ofac_sdn", "OFAC Specially Designated Nationals and Blocked Persons (SDN)",
            ("ofac_xml", "ofac_csv"),
            "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN.XML",
            "US Treasury, Office of Foreign Assets Control",
        ),
        ListSpec(
            "ofac_cons", "OFAC Consolidated Sanctions List (non-SDN)",
            ("ofac_xml", "ofac_csv"),
            "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/CONSOLIDATED.XML",
            "US Treasury, Office of Foreign Assets Control",
        ),
        ListSpec(
            "un_sc", "UN Security Council Consolidated List",
            ("un_xml",),
            "https://scsanctions.un.org/resources/xml/en/consolidated.xml",
            "United Nations Security Council",
        ),
        ListSpec(
            "eu_fsf", "EU Consolidated Financial Sanctions List (FSF)",
            ("eu_xml",),
            "https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/content?token=dG9rZW4tMjAxNw",
            "European Commission, FSF",
        ),
        ListSpec(
            "uk_ofsi", "UK OFSI Consolidated List of Financial Sanctions Targets",
            ("uk_xlsx", "uk_csv"),
            "https://ofsistorage.blob.core.windows.net/publishlive/2022format/ConList.csv",
            "HM Treasury, Office of Financial Sanctions Implementation",
        ),
    )
}
