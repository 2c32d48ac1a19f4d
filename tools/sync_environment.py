"""Write environment.yml from requirements.lock, so conda users get the same pins.

Packages that conda-forge carries under the same name go in the conda list;
the rest go under pip. Quarto and Jupyter are added for `quarto render`, Node.js for `npm ci` (mermaid.js).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONDA = {"pandas", "matplotlib", "numpy", "nbclient", "nbformat", "ipykernel", "pyyaml",
         "pytest", "hypothesis", "jupytext", "nbval", "frictionless", "setuptools"}


def main() -> None:
    pins = [line.strip() for line in (ROOT / "requirements.lock").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    lines = [
        "# Conda environment for users with Quarto: `conda env create -f environment.yml`,",
        "# then `quarto render` or `briefing build`. Generated from requirements.lock by",
        "# `make lock` (tools/sync_environment.py); a test checks the two agree.",
        "name: deepseek-briefing", "channels:", "  - conda-forge", "dependencies:",
        "  - python=3.11", "  - quarto>=1.9", "  - jupyter", "  - nodejs>=20", "  - pip",
    ]
    pip = []
    for pin in pins:
        name, version = pin.split("==")
        if name.lower() in CONDA:
            lines.append(f"  - {name.lower()}={version}")
        else:
            pip.append(pin)
    lines.append("  - pip:")
    lines += [f"      - {pin}" for pin in pip]
    lines.append("      - -e .")
    (ROOT / "environment.yml").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
