"""The layer contract in .importlinter (run by `make lint`) leaves no app unchecked."""

import configparser
from pathlib import Path

from django.conf import settings

CONTRACT = settings.BASE_DIR / ".importlinter"
# VAPI's side has two levels, so its modules are named one by one in the contract.
SPLIT_APP = "vapi"
NOT_CODE = {"__init__", "apps", "migrations", "__pycache__"}


def _layered_modules() -> set[str]:
    config = configparser.ConfigParser()
    config.read(CONTRACT)
    layers = config["importlinter:contract:layers"]["layers"]
    return {
        name.strip()
        for line in layers.splitlines()
        for name in line.replace("|", ":").split(":")
        if name.strip()
    }


def _modules(folder: Path) -> set[str]:
    return {path.stem for path in folder.iterdir() if path.stem not in NOT_CODE}


def test_every_app_is_a_layer():
    apps_dir = settings.BASE_DIR / "apps"
    apps = {path.name for path in apps_dir.iterdir() if (path / "apps.py").exists()}
    layered = _layered_modules()

    unchecked = {app for app in apps - {SPLIT_APP} if f"apps.{app}" not in layered}
    assert not unchecked, f"Add these apps to .importlinter's layers: {unchecked}"


def test_every_module_of_the_split_app_is_in_a_layer():
    modules = _modules(settings.BASE_DIR / "apps" / SPLIT_APP)
    layered = _layered_modules()

    unchecked = {m for m in modules if f"apps.{SPLIT_APP}.{m}" not in layered}
    assert not unchecked, f"Add these to .importlinter's layers: {unchecked}"
