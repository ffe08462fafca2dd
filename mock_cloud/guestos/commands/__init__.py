"""The programs of the instance shell, one module per family, registered in `registry.COMMANDS`.

Messages copy GNU coreutils, systemd and curl, so what a learner sees here is what they will see on
a real instance. Importing the package imports every family, so the registry is complete whenever
it can be used.
"""

from mock_cloud.guestos.commands import (  # noqa: F401  (each family registers its commands)
    conditions,
    files,
    grep,
    network,
    package_managers,
    permissions,
    printing,
    sed,
    services,
    system,
    text,
)
