"""`pbxconf info`: what PBX this is, and whether its firmware has the trunk and route API."""

from __future__ import annotations

import json
from typing import Any

import click

from pbxconf.cli import PbxconfCommand, run_main
from pbxconf.cli.fleet_options import FleetArgs, fleet_options
from pbxconf.cli.options import connection_options
from pbxconf.connect import Connection, firmware_supports_routes, open_pbx


@click.command(cls=PbxconfCommand)
@connection_options
@fleet_options(secrets=True)
@click.option("--json", "as_json", is_flag=True, help="Print the device info as JSON.")
def info(conn: Connection, fleet: FleetArgs, as_json: bool) -> None:
    """Show the PBX's name, serial number, firmware and extension usage (of each PBX of a
    fleet with --pbx, --select or --all)."""
    if fleet.selected:
        from pbxconf.cli.fleet_commands import info_over_fleet

        return info_over_fleet(fleet, conn, as_json)

    async def run() -> dict[str, Any]:
        async with open_pbx(conn) as pbx:
            return await pbx.device_info()

    device = run_main(run())
    firmware = str(device.get("firmwarever", ""))
    supported = firmware_supports_routes(firmware)
    if as_json:
        click.echo(json.dumps({**device, "trunk_and_route_api": supported}, indent=2))
        return
    verdict = {
        True: "yes",
        False: "NO: trunk and route endpoints need firmware 81.8.0.42 or later; upgrade the PBX",
        None: "unknown (firmware version not recognised)",
    }[supported]
    rows = [
        ("PBX", conn.describe()),
        ("Device name", device.get("devicename", "")),
        ("Serial number", device.get("sn", "")),
        ("Firmware", firmware),
        ("Extensions", device.get("extensionstatus", "")),
        ("Trunk/route API", verdict),
    ]
    for label, value in rows:
        click.echo(f"{label + ':':<17}{value}")
