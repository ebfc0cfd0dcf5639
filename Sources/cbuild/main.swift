print("cbuild")
