"""Word lists and small files for generated demo data.

Some entries carry umlauts, accents and Japanese so that exports and PDFs meet text
beyond ASCII.
"""

from __future__ import annotations

import json
import random

COMPANY_WORDS = [
    "Northwind",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark",
    "Wayne",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Gringotts",
    "Müller",
    "Ørsted",
    "Sakura",
    "Blue Harbor",
]
COMPANY_SUFFIXES = ["GmbH", "Inc.", "Ltd", "SAS", "AG", "LLC", "KK", "BV"]
STREETS = ["Hauptstraße", "Market Street", "Rue de Rivoli", "Kurfürstendamm", "Elm Street"]

PROJECT_TOPICS = [
    "Website",
    "Mobile app",
    "Q3 marketing",
    "Onboarding",
    "Data warehouse",
    "Billing",
    "Customer portal",
    "Preisliste",
    "Café menu",
    "Support",
    "Hiring",
    "Security audit",
]
PROJECT_KINDS = [
    "relaunch",
    "campaign",
    "migration",
    "redesign",
    "roll-out",
    "review",
    "Überarbeitung",
]

TASK_VERBS = ["Review", "Draft", "Fix", "Update", "Test", "Ship", "Plan", "Prüfen", "Translate"]
TASK_OBJECTS = [
    "invoice template",
    "landing page copy",
    "login flow",
    "CSV import",
    "API rate limits",
    "pricing table",
    "release notes",
    "Datenschutzerklärung",
    "見積もりの確認",
    "onboarding email",
    "backup schedule",
    "dashboard charts",
    "search index",
    "Kündigungsbestätigung",
]
SENTENCES = [
    "Customer asked for this in the last call.",
    "Blocked until legal signs off on the wording.",
    "Numbers look off by one period; please double-check the anchor date.",
    "Let's keep the scope small and ship it behind a flag.",
    "Bitte bis Freitag prüfen, danke!",
    "The staging deploy failed twice; retrying with more memory.",
    "Added screenshots of the new layout.",
    "Moved to next sprint because of the holiday.",
    "確認しました。問題ありません。",
    "Estimate was too low, we are about four hours over.",
    "Le client préfère la version courte.",
    "Can someone from finance confirm the VAT rate?",
]
ACTIVITY_VERBS = [
    "created task",
    "completed task",
    "commented on",
    "reopened task",
    "assigned",
    "uploaded a file to",
    "changed the due date of",
    "archived project",
]


def attachment_file(index: int, rng: random.Random) -> tuple[str, str, bytes]:
    """Return the file name, content type and content of a small generated attachment."""
    kind = index % 3
    if kind == 0:
        lines = ["item,quantity,unit_price"]
        lines += [
            f"item-{n},{rng.randint(1, 20)},{rng.randint(100, 9999) / 100:.2f}" for n in range(20)
        ]
        return f"estimate-{index + 1}.csv", "text/csv", ("\n".join(lines) + "\n").encode()
    if kind == 1:
        notes = "\n".join(rng.sample(SENTENCES, 4))
        return f"meeting-notes-{index + 1}.txt", "text/plain", (notes + "\n").encode()
    payload = {
        "version": index + 1,
        "enabled": rng.random() < 0.5,
        "threshold": rng.randint(-10, 10),
    }
    return f"settings-{index + 1}.json", "application/json", json.dumps(payload).encode()
