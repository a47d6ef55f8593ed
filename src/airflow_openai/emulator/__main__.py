from airflow_openai.emulator.server import main

main()
