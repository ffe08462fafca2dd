"""EC2 screens: instances (launch, connect, settings, system log) and security groups."""
