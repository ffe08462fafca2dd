"""Installable packages per distro, and the package managers (dnf, yum, apt) that install them.

Installing only lays files out in the instance's VirtualFS, records the package name and registers
its systemd unit. The transcripts imitate dnf (Amazon Linux 2023), yum (Amazon Linux 2) and apt
(Ubuntu) closely enough that a learner recognises them in /var/log/cloud-init-output.log,
including the classic failures: no sudo, no `-y`, a package that does not exist on that distro.
"""
