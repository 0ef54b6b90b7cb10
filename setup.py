"""Packaging for mnist_nb. Every setting lives in settings.ini (nbdev 2 style): edit there, not here."""
from configparser import ConfigParser
import shlex
import setuptools

config = ConfigParser(delimiters=["="])
config.read("settings.ini", encoding="utf-8")
cfg = config["DEFAULT"]

cfg_keys = "version description keywords author author_email".split()
expected = cfg_keys + "lib_name user branch license status min_python audience language".split()
for key in expected:
    assert key in cfg, f"settings.ini is missing the setting {key!r}"
setup_cfg = {key: cfg[key] for key in cfg_keys}

licenses = {"apache2": ("Apache Software License 2.0", "OSI Approved :: Apache Software License")}
statuses = ["1 - Planning", "2 - Pre-Alpha", "3 - Alpha", "4 - Beta", "5 - Production/Stable", "6 - Mature",
            "7 - Inactive"]
py_versions = "3.10 3.11 3.12 3.13".split()

def requirements(key):
    "The whitespace-separated requirement list stored under `key` in settings.ini."
    return shlex.split(cfg.get(key, ""))

lic = licenses.get(cfg["license"].lower(), (cfg["license"], None))
app_requirements = requirements("app_requirements")                  # the browser app (Gradio): a heavy, optional extra
export_requirements = requirements("export_requirements")            # the LiteRT runtime for exported models
# the tests drive the app in a browser and run exported models
test_requirements = requirements("test_requirements") + app_requirements + export_requirements

setuptools.setup(
    name=cfg["lib_name"],
    license=lic[0],
    classifiers=[
        "Development Status :: " + statuses[int(cfg["status"])],
        "Intended Audience :: " + cfg["audience"].title(),
        "Natural Language :: " + cfg["language"].title(),
    ]
    + ["Programming Language :: Python :: " + v for v in py_versions[py_versions.index(cfg["min_python"]):]]
    + (["License :: " + lic[1]] if lic[1] else []),
    url=cfg["git_url"],
    packages=setuptools.find_packages(include=[cfg["lib_name"], cfg["lib_name"] + ".*"]),
    include_package_data=True,
    package_data={cfg["lib_name"]: ["models/*"]},  # the shipped model, its metrics and its card
    install_requires=requirements("requirements"),
    extras_require={"app": app_requirements, "export": export_requirements, "test": test_requirements,
                    "dev": test_requirements + requirements("dev_requirements")},
    python_requires=">=" + cfg["min_python"],
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    zip_safe=False,
    entry_points={
        "console_scripts": cfg.get("console_scripts", "").split(),
        "nbdev": [f'{cfg.get("lib_path")}={cfg.get("lib_path")}._modidx:d'],
    },
    **setup_cfg,
)
