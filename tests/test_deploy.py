"""The deployment files in deploy/ and the README's operator section, checked where a test can:
the systemd units with `systemd-analyze verify`, the compose file with `docker compose config`
(it validates and interpolates without pulling an image), and every setting the code reads."""

import ast
import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
APP_PACKAGES = ("api", "bot", "core", "handlers", "storage")
OPERATOR_SECTION = "## Running it for real"
INSTALLED = "/opt/pumpurs/.venv/bin/pumpurs"  # where the units expect the app
ENV_FILE = "/etc/pumpurs/pumpurs.env"


def settings_classes() -> list[type]:
    """Every pydantic-settings class in the app's code, found by reading the modules."""
    found = []
    for package in APP_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names = [
                node.name
                for node in tree.body
                if isinstance(node, ast.ClassDef)
                and any(getattr(base, "id", None) == "BaseSettings" for base in node.bases)
            ]
            if names:
                module_name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
                module = importlib.import_module(module_name)
                found += [getattr(module, name) for name in names]
    return found


def environment_reads() -> set[str]:
    """Variables read straight from the environment (os.environ / os.getenv) in the app's code."""
    pattern = re.compile(r"""(?:getenv|environ\.get|environ\[)\(?\s*["']([A-Z0-9_]+)["']""")
    return {
        name
        for package in APP_PACKAGES
        for path in (ROOT / package).rglob("*.py")
        for name in pattern.findall(path.read_text(encoding="utf-8"))
    }


def settings_read() -> set[str]:
    """The environment variable of every setting the app reads."""
    names = {field.upper() for cls in settings_classes() for field in cls.model_fields}
    return names | environment_reads()


def operator_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert OPERATOR_SECTION in readme
    section = readme.split(OPERATOR_SECTION, 1)[1]
    return re.split(r"^## ", section, maxsplit=1, flags=re.MULTILINE)[0]


def env_example_names() -> set[str]:
    """Every variable the example sets or shows commented out (`# NAME=`)."""
    text = (DEPLOY / "pumpurs.env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_the_settings_are_found() -> None:
    names = settings_read()
    assert {"DATABASE_URL", "REDIS_URL", "BOT_TOKEN", "RETENTION_YEARS"} <= names


def test_every_setting_the_code_reads_is_in_the_operator_section() -> None:
    section = operator_section()
    assert sorted(name for name in settings_read() if f"`{name}`" not in section) == []


def test_the_environment_example_names_only_known_settings() -> None:
    names = env_example_names()
    assert {"DATABASE_URL", "REDIS_URL", "BOT_TOKEN"} <= names
    assert sorted(names - settings_read()) == []


def test_the_environment_example_holds_no_secret() -> None:
    text = (DEPLOY / "pumpurs.env.example").read_text(encoding="utf-8")
    assert re.findall(r"^(BOT_TOKEN|WEBHOOK_SECRET)=.+$", text, flags=re.MULTILINE) == []
    assert "CHANGE-ME" in text  # the database password is a placeholder


# systemd


def rendered_unit(name: str, tmp_path: Path) -> Path:
    """The unit as installed, but pointing at this venv's `pumpurs` and a copy of the example
    environment: `systemd-analyze verify` checks that ExecStart's binary exists."""
    pumpurs = Path(sys.executable).parent / "pumpurs"
    assert pumpurs.exists(), "the venv has no pumpurs script: pip install -e ."
    env_file = tmp_path / "pumpurs.env"
    shutil.copy(DEPLOY / "pumpurs.env.example", env_file)
    text = (DEPLOY / name).read_text(encoding="utf-8")
    assert INSTALLED in text and ENV_FILE in text
    text = text.replace(INSTALLED, str(pumpurs)).replace(ENV_FILE, str(env_file))
    text = text.replace("WorkingDirectory=/opt/pumpurs", f"WorkingDirectory={tmp_path}")
    unit = tmp_path / name.replace("@.", "@8001.")  # a template is verified as an instance
    unit.write_text(text, encoding="utf-8")
    return unit


def systemd_verify(*units: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["systemd-analyze", "verify", *map(str, units)], capture_output=True, text=True, timeout=60
    )


needs_systemd = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)


@needs_systemd
def test_the_systemd_units_verify(tmp_path: Path) -> None:
    """Both at once: an extra instance requires the first one."""
    units = [rendered_unit(name, tmp_path) for name in ("pumpurs.service", "pumpurs@.service")]
    result = systemd_verify(*units)
    # Unknown keys and bad values are only warned about, with exit code 0: no output is asked.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@needs_systemd
def test_the_unit_check_catches_a_typo(tmp_path: Path) -> None:
    unit = rendered_unit("pumpurs.service", tmp_path)
    unit.write_text(unit.read_text().replace("Restart=", "Restrat="))
    assert "Unknown key" in systemd_verify(unit).stderr


def test_the_units_migrate_first_and_serve_on_their_port() -> None:
    main = (DEPLOY / "pumpurs.service").read_text(encoding="utf-8")
    extra = (DEPLOY / "pumpurs@.service").read_text(encoding="utf-8")
    assert f"ExecStartPre={INSTALLED} db upgrade" in main
    assert "--port 8000" in main
    assert "--port %i" in extra and "After=network-online.target pumpurs.service" in extra


# Docker


def compose_command() -> list[str] | None:
    """`docker compose`, or the older `docker-compose`, whichever is installed."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_the_compose_file_validates(tmp_path: Path) -> None:
    command = compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    copy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, copy)
    shutil.copy(DEPLOY / "pumpurs.env.example", copy / "pumpurs.env")  # the operator's step
    environment = {**os.environ, "POSTGRES_PASSWORD": "example"}
    result = subprocess.run(
        [*command, "-f", str(copy / "compose.yaml"), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        cwd=copy,
    )
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    assert set(config["services"]) == {"migrate", "app", "postgres", "redis"}
    app = config["services"]["app"]
    assert app["environment"]["DATABASE_URL"].startswith("postgres://pumpurs:example@postgres:")


def test_the_compose_file_keeps_redis_and_postgres_data() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    redis = " ".join(services["redis"]["command"])
    assert "--appendonly yes" in redis
    assert any(volume.endswith(":/data") for volume in services["redis"]["volumes"])
    assert any(
        volume.endswith(":/var/lib/postgresql/data") for volume in services["postgres"]["volumes"]
    )
    assert services["migrate"]["command"] == ["pumpurs", "db", "upgrade"]
    assert services["app"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert (ROOT / services["migrate"]["build"]["dockerfile"]).exists()


def test_the_dockerfile_installs_the_locked_versions_and_copies_what_exists() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install --require-hashes -r requirements.lock" in dockerfile
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            *sources, _target = line.split()[1:]
            assert all((ROOT / source).exists() for source in sources), line
