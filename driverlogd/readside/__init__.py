"""The read side: what the recorder committed, held in memory for readers.

view.py keeps each driver's verdicts and newest votes; reads.py answers the
read queries (state, health, votes) from it and the store; live.py adds the
running service's generations and change feed for the web layer; gauges.py
sets the Prometheus gauges that age with time.
"""
