"""The guest OS: what runs inside one instance's guest process (`mock_cloud.guest`).

Interpreted, never executed on the host: the instance's files live in a VirtualFS, its shell is an
interpreter over that filesystem, and its web servers render pages from it. The package is split
along the OS's own seams:

  vfs            the virtual filesystem (paths, modes, files, directories)
  distros        the AMIs' distros: os-release, users, kernels, base files
  instance_os    `InstanceOS`: the whole OS state as plain data (files, packages, services, owners);
                 the one type the control plane holds (it is what the state file saves)
  packages/      the package catalogue and the package managers (dnf, yum, rpm, extras, apt)
  shell/         the shell: tokens, lexer, parser, expansion, arithmetic, redirection, the
                 interpreter, builtins, and the Connect terminal session
  commands/      the instance's programs, one module per family, in one registry (`COMMANDS`)
  cloud_init     user data on first boot (`#!` scripts, `#cloud-config`)
  web/           the emulated Apache httpd and nginx: page rendering and the real listener

Why a sibling of `mock_cloud.guest` rather than inside it: `guest` is the process and its protocol
(the cloud's side is `guest.client`), `guestos` is the library that process runs. The control
plane imports the protocol and `instance_os.InstanceOS` (plain data), never the shell, the VFS or
the web servers; the benches and tests that host a web server in-process import `guestos.web`
without pulling in the guest process.
"""
