"""Route tables. Each module registers its handlers with the authentication kind GitHub applies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..httpkit import Router

if TYPE_CHECKING:
    from ..server import EmulatorServer


def register_all(router: Router, emulator: EmulatorServer) -> None:
    from . import app_api, control, deploy_control, deployments_api, installation_api, oauth, web

    for module in (app_api, installation_api, deployments_api, oauth, web, control, deploy_control):
        module.register(router, emulator)
