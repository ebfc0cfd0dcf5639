print("catalyst-sim")
