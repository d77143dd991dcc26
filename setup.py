"""Packaging for callerid: the `callerid` command, its data files, and the test extra."""

from setuptools import find_namespace_packages, setup

setup(
    name="callerid",
    version="0.1.0",
    description="Landline caller-ID appliance that warns against fake-police phone fraud",
    python_requires=">=3.11",
    # Searched inside callerid/ only: a search from the top would walk firmware/out (the image tree).
    packages=["callerid", *(f"callerid.{name}" for name in find_namespace_packages(
        where="callerid", exclude=["__pycache__", "*.__pycache__"]))],
    include_package_data=True,
    package_data={"callerid": ["data/*", "web/templates/*", "web/static/*", "fleet/templates/*", "*.toml", "benchmarks/*.c"]},
    install_requires=[
        "pyserial>=3.5",
        "gpiozero>=2.0",
        "phonenumbers>=8.13",
        "pyttsx3>=2.90",
        "numpy>=1.24",
        "soundfile>=0.11",
        "flask>=3.0",
        "waitress>=3.0",
        "paho-mqtt>=2.0",
        "pynacl>=1.5",
    ],
    extras_require={
        "test": [
            "pytest>=8",
            "pytest-timeout>=2.3",
            "hypothesis>=6.100",
            "playwright>=1.44",
            "ruff>=0.6",
        ],
        "pi": ["lgpio>=0.2"],
    },
    entry_points={"console_scripts": ["callerid=callerid.cli:main"]},
)
