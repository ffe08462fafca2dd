"""What the web server packages ship: systemd units, httpd and nginx configs, welcome pages,
and where each configures its docroot and port (so edits to the config take effect).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WebSpec:
    """Where a web server's docroot and port are configured, so edits to its config take effect."""

    flavor: str  # "apache" | "nginx"
    docroot_conf: str
    docroot_key: str  # "DocumentRoot" (apache) or "root" (nginx)
    port_conf: str
    default_docroot: str
    log_path: str  # the access log


def unit_text(description: str, exec_start: str) -> str:
    return (
        f"[Unit]\nDescription={description}\nAfter=network.target\n\n"
        f"[Service]\nExecStart={exec_start}\n\n[Install]\nWantedBy=multi-user.target\n"
    )


# -- file contents ---------------------------------------------------------------------------

HTTPD_CONF = """#
# This is the main Apache HTTP server configuration file.  It contains the
# configuration directives that give the server its instructions.
# See <URL:http://httpd.apache.org/docs/2.4/> for detailed information.
#
ServerRoot "/etc/httpd"

Listen 80

Include conf.modules.d/*.conf

User apache
Group apache

ServerAdmin root@localhost

<Directory />
    AllowOverride none
    Require all denied
</Directory>

DocumentRoot "/var/www/html"

<Directory "/var/www">
    AllowOverride None
    Require all granted
</Directory>

<Directory "/var/www/html">
    Options Indexes FollowSymLinks
    AllowOverride None
    Require all granted
</Directory>

<IfModule dir_module>
    DirectoryIndex index.html
</IfModule>

ErrorLog "logs/error_log"
LogLevel warn

<IfModule log_config_module>
    LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined
    CustomLog "logs/access_log" combined
</IfModule>

AddDefaultCharset UTF-8

IncludeOptional conf.d/*.conf
"""

WELCOME_CONF = """#
# This configuration file enables the default "Welcome" page if there
# is no default index page present for the root URL.  To disable the
# Welcome page, comment out all the lines below.
#
# NOTE: if this file is removed, it will be restored on upgrades.
#
<LocationMatch "^/+$">
    Options -Indexes
    ErrorDocument 403 /.noindex.html
</LocationMatch>

<Directory /usr/share/httpd/noindex>
    AllowOverride None
    Require all granted
</Directory>

Alias /.noindex.html /usr/share/httpd/noindex/index.html
"""

# AL2023's httpd shows a bare "It works!" page when /var/www/html has no index.html.
NOINDEX_AL2023 = "<html><body><h1>It works!</h1></body></html>\n"

NOINDEX_AL2 = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" "http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en">
\t<head>
\t\t<title>Test Page for the Apache HTTP Server</title>
\t\t<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
\t</head>
\t<body>
\t\t<h1>Test Page</h1>
\t\t<div class="content">
\t\t\t<p>This page is used to test the proper operation of the Apache HTTP server after it has been
\t\t\tinstalled. If you can read this page, it means that the web server installed at this site is
\t\t\tworking properly, but has not yet been configured.</p>
\t\t</div>
\t</body>
</html>
"""

NGINX_WELCOME = """<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""

NGINX_CONF_AL = """# For more information on configuration, see:
#   * Official English Documentation: http://nginx.org/en/docs/

user nginx;
worker_processes auto;
error_log /var/log/nginx/error.log notice;
pid /run/nginx.pid;

include /usr/share/nginx/modules/*.conf;

events {
    worker_connections 1024;
}

http {
    access_log  /var/log/nginx/access.log;

    sendfile            on;
    keepalive_timeout   65;

    include             /etc/nginx/mime.types;
    default_type        application/octet-stream;

    include /etc/nginx/conf.d/*.conf;

    server {
        listen       80;
        listen       [::]:80;
        server_name  _;
        root         /usr/share/nginx/html;

        error_page 404 /404.html;
        error_page 500 502 503 504 /50x.html;
    }
}
"""

NGINX_SITE_UBUNTU = """server {
\tlisten 80 default_server;
\tlisten [::]:80 default_server;

\troot /var/www/html;

\t# Add index.php to the list if you are using PHP
\tindex index.html index.htm index.nginx-debian.html;

\tserver_name _;

\tlocation / {
\t\ttry_files $uri $uri/ =404;
\t}
}
"""

APACHE2_SITE = """<VirtualHost *:80>
\tServerAdmin webmaster@localhost
\tDocumentRoot /var/www/html

\tErrorLog ${APACHE_LOG_DIR}/error.log
\tCustomLog ${APACHE_LOG_DIR}/access.log combined
</VirtualHost>
"""

APACHE2_PORTS = """# If you just change the port or add more ports here, you will likely also
# have to change the VirtualHost statement in
# /etc/apache2/sites-enabled/000-default.conf

Listen 80

<IfModule ssl_module>
\tListen 443
</IfModule>
"""

APACHE2_UBUNTU_INDEX = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
  <head>
    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
    <title>Apache2 Ubuntu Default Page: It works</title>
  </head>
  <body>
    <div class="main_page">
      <div class="page_header floating_element">
        <span class="floating_element">Apache2 Ubuntu Default Page</span>
      </div>
      <div class="section_header">
        <div id="about"></div>
        It works!
      </div>
      <div class="content_section_text">
        <p>
          This is the default welcome page used to test the correct operation of the Apache2 server
          after installation on Ubuntu systems. If you can read this page, it means that the Apache
          HTTP server installed at this site is working properly. You should <b>replace this file</b>
          (located at <tt>/var/www/html/index.html</tt>) before continuing to operate your HTTP server.
        </p>
      </div>
    </div>
  </body>
</html>
"""

WEB_SPECS: dict[tuple[str, str], WebSpec] = {
    ("amzn", "httpd"): WebSpec(
        "apache", "/etc/httpd/conf/httpd.conf", "DocumentRoot", "/etc/httpd/conf/httpd.conf",
        "/var/www/html", "/var/log/httpd/access_log",
    ),
    ("amzn", "nginx"): WebSpec(
        "nginx", "/etc/nginx/nginx.conf", "root", "/etc/nginx/nginx.conf",
        "/usr/share/nginx/html", "/var/log/nginx/access.log",
    ),
    ("ubuntu", "apache2"): WebSpec(
        "apache", "/etc/apache2/sites-enabled/000-default.conf", "DocumentRoot", "/etc/apache2/ports.conf",
        "/var/www/html", "/var/log/apache2/access.log",
    ),
    ("ubuntu", "nginx"): WebSpec(
        "nginx", "/etc/nginx/sites-enabled/default", "root", "/etc/nginx/sites-enabled/default",
        "/var/www/html", "/var/log/nginx/access.log",
    ),
}


def web_spec(distro: str, service: str) -> WebSpec | None:
    return WEB_SPECS.get(("ubuntu" if distro == "ubuntu" else "amzn", service))
