"""`reelforge script` prints the script it wrote as tables a person reads in one pass."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from reelforge.models import Script


def script_view(script: Script) -> Group:
    heading = Text.assemble((script.title, "bold"), "  ·  ", (script.tagline, "italic"),
                            "\n", script.logline)
    genres = ", ".join(score.label for score in script.patterns.genres[:2])
    heading.append(f"\n{genres} · {len(script.scenes)} scenes · {script.target_duration:.0f} s",
                   style="dim")
    return Group(heading, "", cast_table(script), "", scene_table(script))


def cast_table(script: Script) -> Table:
    table = Table(title="cast", title_justify="left", show_edge=False)
    table.add_column("id", style="dim")
    table.add_column("name")
    table.add_column("role")
    for character in script.characters:
        table.add_row(character.id, character.name, character.role)
    if not script.characters:
        table.add_row("", "(nobody named)", "")
    return table


def scene_table(script: Script) -> Table:
    table = Table(title="scenes and narration", title_justify="left", show_edge=False)
    table.add_column("#", justify="right")
    table.add_column("act")
    table.add_column("location")
    table.add_column("narration")
    places = {location.id: location.name for location in script.locations}
    for line in script.narration:
        if line.card == "title":
            table.add_row("", line.act, "[dim]title card[/]", Text(line.text, style="bold"))
            continue
        scene = next((s for s in script.scenes if s.index == line.scene), None)
        place = places.get(scene.location, scene.location) if scene else ""
        table.add_row(str(line.scene) if line.scene is not None else "", line.act, place,
                      line.text)
    return table
