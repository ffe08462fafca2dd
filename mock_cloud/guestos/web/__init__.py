"""Emulated web servers of an instance: Apache httpd (Amazon Linux 2023) and nginx.

`render.render` decides a response from the instance's virtual filesystem (the shell's
`curl localhost` uses it too); `listener.WebServer` serves it on a real listener on 127.0.0.1.
"""
