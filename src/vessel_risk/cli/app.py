"""The ``vessel-risk`` typer app: its command groups and which function runs each command.

This is the one place that names the commands; each function lives in the module of its
group (``run``, ``models``, ``score``, ``ingest``, ``deliver``, ``deliveries`` and
``purge``, ``secrets`` (``reencrypt``), ``serve``, ``monitoring``, ``alerts``,
``notices``, ``agencies``, ``clients``, ``inspections``, ``reference``, ``subscriptions``,
``exchange``, ``tips``, ``info``). Commands are registered in the order ``--help`` lists
them.
"""

from __future__ import annotations

import typer

from vessel_risk.cli.agencies import agencies_list, agencies_load
from vessel_risk.cli.alerts import alerts_list, alerts_review, alerts_show
from vessel_risk.cli.clients import clients_add, clients_list, clients_revoke
from vessel_risk.cli.deliver import deliver
from vessel_risk.cli.deliveries import deliveries_list, deliveries_requeue, deliveries_show, purge
from vessel_risk.cli.exchange import (
    exchange_export,
    exchange_import,
    exchange_keygen,
    exchange_show,
)
from vessel_risk.cli.info import info
from vessel_risk.cli.ingest import ingest
from vessel_risk.cli.inspections import inspections_list, inspections_record
from vessel_risk.cli.models import evaluate, promote, train, train_fishing
from vessel_risk.cli.monitoring import monitoring
from vessel_risk.cli.notices import (
    notices_approve,
    notices_create,
    notices_handed_over,
    notices_list,
    notices_preview,
    notices_reminders,
    notices_show,
    notices_withdraw,
)
from vessel_risk.cli.reference import reference_refresh, reference_show
from vessel_risk.cli.run import run
from vessel_risk.cli.score import score
from vessel_risk.cli.secrets import reencrypt
from vessel_risk.cli.serve import serve
from vessel_risk.cli.subscriptions import (
    subscriptions_add,
    subscriptions_digest,
    subscriptions_list,
    subscriptions_remove,
)
from vessel_risk.cli.terminal import reflow_help
from vessel_risk.cli.tips import tips_add, tips_list

app = typer.Typer(help="Find fishing vessels at risk of forced labour from their AIS tracks.")
alerts_app = typer.Typer(help="List and review alerts.", no_args_is_help=True)
notices_app = typer.Typer(help="Create, approve and follow referral notices.", no_args_is_help=True)
agencies_app = typer.Typer(help="The agency directory notices are routed to.", no_args_is_help=True)
clients_app = typer.Typer(
    help="API clients of agencies: keys, roles, scopes.", no_args_is_help=True
)
app.add_typer(alerts_app, name="alerts")
app.add_typer(notices_app, name="notices")
app.add_typer(agencies_app, name="agencies")
app.add_typer(clients_app, name="clients")
inspections_app = typer.Typer(
    help="Boarding and inspection outcomes: record, list.", no_args_is_help=True
)
app.add_typer(inspections_app, name="inspections")
reference_app = typer.Typer(
    help="Reference tables behind flag inference: show, refresh.", no_args_is_help=True
)
app.add_typer(reference_app, name="reference")
deliveries_app = typer.Typer(
    help="The outbox: list, show and requeue deliveries.", no_args_is_help=True
)
app.add_typer(deliveries_app, name="deliveries")
subscriptions_app = typer.Typer(
    help="Agencies' subscriptions to vessels that concern them.", no_args_is_help=True
)
app.add_typer(subscriptions_app, name="subscriptions")
exchange_app = typer.Typer(
    help="The regional exchange: export, import, keygen, show.", no_args_is_help=True
)
app.add_typer(exchange_app, name="exchange")
tips_app = typer.Typer(
    help="Tips from hotlines, NGOs, consulates, first responders: add, list.",
    no_args_is_help=True,
)
app.add_typer(tips_app, name="tips")


@app.callback()
def main() -> None:
    """vessel-risk: ranked, explained alerts from AIS. A score is evidence, never proof."""
    from pydantic import ValidationError

    from vessel_risk.cli.terminal import fail
    from vessel_risk.logs import configure_logging

    try:
        configure_logging()
    except ValidationError as exc:  # a mistyped VESSEL_RISK_* setting
        first = exc.errors()[0]
        name = "VESSEL_RISK_" + str(first["loc"][0]).upper() if first["loc"] else "a setting"
        raise fail(f"{name}: {first['msg']}") from exc
    except ValueError as exc:  # a level that is no level
        raise fail(str(exc)) from exc


app.command()(run)
app.command()(train)
app.command()(evaluate)
app.command()(promote)
app.command()(score)
app.command()(ingest)
app.command()(deliver)
app.command()(purge)
app.command()(reencrypt)
app.command("train-fishing")(train_fishing)
app.command()(serve)
app.command()(monitoring)
app.command()(info)

alerts_app.command("list")(alerts_list)
alerts_app.command("show")(alerts_show)
alerts_app.command("review")(alerts_review)

notices_app.command("create")(notices_create)
notices_app.command("preview")(notices_preview)
notices_app.command("approve")(notices_approve)
notices_app.command("withdraw")(notices_withdraw)
notices_app.command("handed-over")(notices_handed_over)
notices_app.command("list")(notices_list)
notices_app.command("show")(notices_show)
notices_app.command("reminders")(notices_reminders)

agencies_app.command("load")(agencies_load)
agencies_app.command("list")(agencies_list)

clients_app.command("add")(clients_add)
clients_app.command("create", help="The same as add.")(clients_add)
clients_app.command("revoke")(clients_revoke)
clients_app.command("list")(clients_list)

inspections_app.command("record")(inspections_record)
inspections_app.command("list")(inspections_list)
tips_app.command("add")(tips_add)
tips_app.command("list")(tips_list)

deliveries_app.command("list")(deliveries_list)
deliveries_app.command("show")(deliveries_show)
deliveries_app.command("requeue")(deliveries_requeue)

subscriptions_app.command("add")(subscriptions_add)
subscriptions_app.command("list")(subscriptions_list)
subscriptions_app.command("remove")(subscriptions_remove)
subscriptions_app.command("digest")(subscriptions_digest)

reference_app.command("show")(reference_show)
reference_app.command("refresh")(reference_refresh)

exchange_app.command("export")(exchange_export)
exchange_app.command("import")(exchange_import)
exchange_app.command("keygen")(exchange_keygen)
exchange_app.command("show")(exchange_show)

reflow_help(app)  # after every command is registered
