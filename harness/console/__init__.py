"""What a person sees in the terminal: a quiet job console (engine logs to a file), progress, the end-of-job
table, and one paragraph instead of a traceback when something breaks."""
