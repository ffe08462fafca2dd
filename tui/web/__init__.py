"""`lblab web`: the console in a browser tab, served by Textualize's textual-serve on 127.0.0.1.

    server.py   the web server: one console process per open tab, loopback only
    tab.py      the program each tab runs: the console, or why it could not start
    driver.py   the web driver the tab's console draws through
"""
