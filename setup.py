import setuptools

# All metadata is declarative, in setup.cfg (the pbr-free OpenStack way).
setuptools.setup()
