"""Elastic Load Balancing screens: load balancers, listeners and rules, target groups, certificates."""
