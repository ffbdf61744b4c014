"""compataudit: will this deep-learning stack actually work on this machine?"""

__version__ = "0.1.0"
