import json

import pytest

from shared.logging import configure_logging, get_logger, register_secret


def test_log_line_shape_and_masking(capsys: pytest.CaptureFixture[str]) -> None:
    register_secret("super-secret-api-key-value-123456")
    configure_logging("note-monitor", "info", "json")
    get_logger().info(
        "Escrow registered",
        address="0xabc",
        secretKey="0xdeadbeef",
        note="header was super-secret-api-key-value-123456",
        nested={"privateKey": "0x01", "pool": "0x02"},
    )
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["event"] == "Escrow registered" and line["service"] == "note-monitor" and line["level"] == "info"
    assert "timestamp" in line and line["address"] == "0xabc"
    assert line["secretKey"] == "***" and line["nested"] == {"privateKey": "***", "pool": "0x02"}
    assert "super-secret" not in json.dumps(line)


def test_level_filtering(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("price-service", "warning", "json")
    get_logger().info("quiet")
    get_logger().warning("loud")
    out = capsys.readouterr().out
    assert "quiet" not in out and "loud" in out


def test_repeated_events_are_sampled_but_the_first_of_a_kind_always_shows() -> None:
    import structlog

    from shared.log_sampling import RepeatSampler

    now = [0.0]
    sampler = RepeatSampler(frozenset({"Unauthorized"}), window=1.0, lines_per_window=2, clock=lambda: now[0])
    written = []
    for _ in range(10):
        try:
            written.append(sampler(None, "warning", {"event": "Unauthorized"}))
        except structlog.DropEvent:
            pass
    assert len(written) == 2 and "suppressed" not in written[0]
    assert sampler(None, "info", {"event": "Liquidation executed successfully"})  # never sampled
    now[0] = 1.5
    line = sampler(None, "warning", {"event": "Unauthorized"})
    assert line["suppressed"] == 8
