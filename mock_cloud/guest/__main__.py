"""`python -m mock_cloud.guest`: one instance's guest process (see the package docstring)."""

from mock_cloud.guest.server import main

main()
