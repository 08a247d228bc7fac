"""`harness merge`: join the N parts of a sharded job (`run.shard=K/N`) into one evidence pack.

`parts` reads the parts and refuses any that do not belong together (another config, model or data
revision; a part twice, a part missing, a part unfinished or changed since its manifest), naming them;
`write` joins their records and finishes the pack as a single job would; `auto` is what the last shard to
finish runs; `cli` is the command.
"""
