"""The package table `reelforge make` prints: every file with its real size."""

from __future__ import annotations

from pathlib import Path

from reelforge.cli import artifact_table
from reelforge.models import ArtifactRecord, JobSettings, Manifest
from rich.console import Console


def test_the_manifest_row_shows_the_size_of_the_file_written(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_bytes(b"x" * 2048)
    manifest = Manifest(job_id="j", title="T", settings=JobSettings(), artifacts=[
        ArtifactRecord(name="trailer", key="k1", stage="assembly", path="trailer.mp4",
                       size=3 * 1024 * 1024),
        # the manifest cannot hold its own size
        ArtifactRecord(name="manifest", key="k2", stage="assembly", path="manifest.json"),
    ])
    console = Console(width=120, record=True)
    console.print(artifact_table(manifest, tmp_path))
    lines = {line.split()[0]: line for line in console.export_text().splitlines() if line.strip()}
    assert "3.0 MB" in lines["trailer.mp4"]
    assert "2.0 KB" in lines["manifest.json"]
