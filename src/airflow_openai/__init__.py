"""Apache Airflow provider for the OpenAI platform API.

Importing this package is cheap on purpose: Airflow parses DAG files every 30 seconds,
so nothing here builds a client or touches the network.
"""

__version__ = "0.1.0"
