"""Create a Prefect automation that calls a webhook when vnclean runs fail (or on every run).

    PREFECT_API_URL=http://127.0.0.1:4200/api .venv/bin/python scripts/alert_automation.py \\
        --webhook-url https://hooks.slack.com/services/XXX

It saves a Webhook block (``vnclean-alerts``) and an automation (``vnclean alerts``) that fires on
each ``vnclean.run.finished`` event of a run that ended Failed and on each
``vnclean.document.failed`` event (``--every-run``: on every finished run too). The webhook gets a
JSON body: the event's name, the output folder or document, and its payload (counts, state and
message; or the document's id and reason). Running it again replaces both.
"""
from __future__ import annotations

import argparse
import asyncio

from prefect.automations import Automation
from prefect.blocks.webhook import Webhook
from prefect.events.actions import CallWebhook
from prefect.client.orchestration import get_client
from prefect.events.schemas.automations import EventTrigger, Posture

NAME = "vnclean alerts"
BLOCK = "vnclean-alerts"
# Jinja, rendered by the Prefect server for each event (json: its own filter, see Prefect's docs)
PAYLOAD = ('{"event": "{{ event.event }}", "resource": "{{ event.resource.id }}", '
           '"payload": {{ event.payload | tojson }}}')


def triggers(every_run: bool) -> list[EventTrigger]:
    run = {} if every_run else {"vnclean.state": "Failed"}
    return [EventTrigger(expect={"vnclean.run.finished"}, match={"prefect.resource.id": "vnclean.output.*", **run},
                         posture=Posture.Reactive, threshold=1, within=0),
            EventTrigger(expect={"vnclean.document.failed"}, match={"prefect.resource.id": "vnclean.document.*"},
                         posture=Posture.Reactive, threshold=1, within=0)]


async def create(webhook_url: str, every_run: bool = False) -> list:
    """The automations' ids (one per event kind: each event is one call of the webhook)."""
    block_id = await Webhook(url=webhook_url).save(BLOCK, overwrite=True)
    async with get_client() as client:
        for old in await client.read_automations():
            if old.name.startswith(NAME):
                await client.delete_automation(old.id)
    ids = []
    for trigger in triggers(every_run):
        automation = await Automation(
            name=f"{NAME}: {sorted(trigger.expect)[0]}", trigger=trigger,
            actions=[CallWebhook(block_document_id=block_id, payload=PAYLOAD)]).acreate()
        ids.append(automation.id)
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--webhook-url", required=True)
    parser.add_argument("--every-run", action="store_true", help="call it on every finished run, not only failed ones")
    args = parser.parse_args()
    ids = asyncio.run(create(args.webhook_url, args.every_run))
    print(f"automations {', '.join(map(str, ids))} call {args.webhook_url}")


if __name__ == "__main__":
    main()
