"""lblab's local cloud: EC2 and Elastic Load Balancing that really serve traffic on loopback."""

__version__ = "0.1.0"
