#!/usr/bin/env python3
"""A client written the way the CMPT 756 course's clients were (requests, json=, 'Bearer A'),
run against shoal's course-API port: python3 samples/course-client.py http://127.0.0.1:30001
Prints each request and answer; exits 1 if an answer is not what the original would give."""
import sys

import requests

BASE = sys.argv[1].rstrip('/') if len(sys.argv) > 1 else 'http://127.0.0.1:30001'
AUTH = {'Authorization': 'Bearer A'}
failed = 0


def call(method, path, json=None, headers=AUTH, expect=200):
    global failed
    r = requests.request(method, BASE + path, json=json, headers=headers, timeout=10)
    ok = r.status_code == expect
    failed += not ok
    print(f"{'ok ' if ok else 'BAD'} {method} {path} {json if json is not None else ''}".rstrip())
    print(f"    -> {r.status_code} {r.text.strip()[:160]}")
    return r


song = call('POST', '/api/v1/music/', {'Artist': 'Taylor Swift', 'SongTitle': 'Willow'}).json()['music_id']
call('GET', f'/api/v1/music/{song}')
call('PUT', f'/api/v1/music/{song}', {'Artist': 'Taylor Swift', 'SongTitle': 'Cardigan'})
call('GET', f'/api/v1/music/{song}')

user = call('POST', '/api/v1/user/', {'fname': 'Sherlock', 'lname': 'Holmes', 'email': 'sh@holmes.org'}).json()['user_id']
call('GET', f'/api/v1/user/{user}')
call('PUT', f'/api/v1/user/{user}', {'fname': 'Mycroft', 'lname': 'Holmes', 'email': 'mh@holmes.org'})
token = call('PUT', '/api/v1/user/login', {'uid': user}, headers={}).text
call('PUT', '/api/v1/user/logoff', {'jwt': token}, headers={})

for body in ({'Name': 'Road trip', 'Playlist': f'{song},s-2'},
             {'ListName': 'Road trip', 'Songs': [song, 's-2']},
             {'PlayListName': 'Road trip', 'Songs': [song, 's-2']}):
    pl = call('POST', '/api/v1/playlist/', body).json()['playlist_id']
    call('GET', f'/api/v1/playlist/{pl}')
    call('POST', f'/api/v1/playlist/{pl}/add', {'music_id': 's-3'})
    call('PUT', f'/api/v1/playlist/add_song_to_list/{pl}', {'music_id': 's-4'})
    call('POST', f'/api/v1/playlist/{pl}/delete', {'music_id': 's-2'})
    call('PUT', f'/api/v1/playlist/delete_song_from_list/{pl}', {'music_id': 's-3'})
    call('DELETE', f'/api/v1/playlist/{pl}')
    call('GET', f'/api/v1/playlist/{pl}', expect=404)

call('GET', '/api/v1/music/', headers={}, expect=401)
call('DELETE', f'/api/v1/user/{user}')
call('DELETE', f'/api/v1/music/{song}')
call('GET', f'/api/v1/music/{song}', expect=404)
print(f"{'all as expected' if not failed else f'{failed} unexpected answers'}")
sys.exit(1 if failed else 0)
