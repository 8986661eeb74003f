"""Example sentences that stand for a meaning: each kind of emergency, what is not an emergency though it
sounds close, questions about nothing at a venue, and ordinary venue questions. Written for the kiosk
(never copied from an evaluation set); a question is compared with them by sentence embeddings."""

EMERGENCY = {
    "lost_child": [
        "I can't find my child", "my son is missing", "we have lost our daughter", "my little boy has wandered off",
        "our kid ran off and we can't see him anywhere", "I've lost my little girl in the crowd",
        "my toddler was here a minute ago and now he's gone", "has anyone seen a small boy in a blue jacket",
        "I can't find my mummy", "where is my dad, I lost him", "I'm lost and I don't know where my parents are",
        "there's a little girl here on her own crying for her mum", "I found a child who is lost",
        "my grandmother has dementia and she has wandered away", "we got separated from our group and my kid is with them",
        "my daughter didn't come back from the toilet", "my teenager isn't answering and I can't find her",
        "one of the children from my class is missing",
    ],
    "medical": [
        "someone has collapsed", "a man just fainted", "my friend is not breathing", "call an ambulance",
        "my husband has chest pain", "she's having a seizure", "my child is choking", "there's a lot of blood",
        "he fell down the stairs and hit his head", "I think she's having an allergic reaction",
        "my dad feels dizzy and looks grey", "someone is unconscious on the floor", "a woman is having a heart attack",
        "my son can't breathe properly", "an old lady tripped and can't get up", "I feel like I'm going to pass out",
        "my wife is diabetic and she's shaking and confused", "my friend took something and won't wake up",
        "I cut my hand badly and it won't stop bleeding", "I think I've broken my ankle",
    ],
    "fire": [
        "there's a fire", "I can see smoke", "something is burning", "I can smell smoke", "smoke is coming out of the kitchen",
        "the bin is on fire", "there are flames near the entrance", "I smell gas", "the fire alarm is going off",
        "there's a burning smell in the toilets", "the room is filling with smoke", "a car in the car park is on fire",
        "sparks are coming out of the plug", "the cafe is full of smoke",
    ],
    "threat": [
        "a man has a knife", "someone has a gun", "there's a fight", "two men are fighting", "someone is threatening people",
        "a man attacked me", "I've been mugged", "there is a suspicious bag left alone", "someone left a package and walked away",
        "a man is following me and I'm scared", "someone is shouting and throwing things at people", "he hit my friend",
        "there's a drunk man being aggressive", "a woman is being harassed", "someone said there's a bomb",
        "a person is waving a weapon around",
    ],
}

NOT_EMERGENCY = [
    "where is lost property", "I lost my phone", "I left my umbrella on the bus", "has anyone handed in a wallet",
    "where is the first aid room", "do you have a defibrillator", "where are the fire exits", "is smoking allowed",
    "where can I smoke", "is there a smoking area", "what happens if the fire alarm goes off",
    "what should I do if my child gets lost", "is there a meeting point for lost children", "do you have security staff",
    "can I bring a knife to cut my picnic", "is the barbecue area open", "where can I get a plaster",
    "I have a headache, do you sell paracetamol", "are there nurses on site", "where is the nearest hospital",
    "can I get my blood pressure checked", "what time is the fire show", "is there a shooting gallery",
    "where is the police station", "can I take my child to the toilet", "I'm hungry", "I'm tired where can I sit down",
    "my feet hurt", "is it safe to walk here at night", "what is the emergency number",
]

OFF_TOPIC = [
    "what's the weather going to be like tomorrow", "will it rain this afternoon", "who won the football last night",
    "what was the score in the match", "who is the president of france", "what's the capital of australia",
    "how many legs does a spider have", "what is 17 times 23", "what's the square root of 144", "tell me a joke",
    "write me a poem about the sea", "can you help with my homework", "what's the latest news", "who won the election",
    "what's the price of bitcoin today", "how do I cook pasta", "what's a good recipe for lasagne",
    "who sings that song", "what film should I watch tonight", "how old is the queen", "when is the next world cup",
    "what's the meaning of life", "how far is the moon", "translate hello into spanish", "what's your favourite colour",
    "do you like pizza", "are you a robot", "what's the best phone to buy", "how do I fix my laptop",
    "what time is it in new york", "who invented the telephone", "how tall is mount everest",
    "what should I have for dinner", "can you book me a taxi to the airport in another city",
    "what's the exchange rate for dollars", "recommend a good book", "which team will win the league",
]

VENUE = [
    "what time do you open", "when do you close", "how much are tickets", "is it free for children",
    "where are the toilets", "where can I park", "is there a cafe", "can I bring my dog", "is there wifi",
    "is it wheelchair accessible", "where is the lift", "can I take photos", "where is the gift shop",
    "do you have lockers", "where can I eat my own food", "is there a cash machine", "can I pay by card",
    "where is the exit", "how do I get here by bus", "do you have baby changing", "where is the information desk",
    "are there guided tours", "what is there to see", "what's on today", "how long does a visit take",
    "is there a discount for students", "can I leave my bag somewhere", "where do I buy tickets",
    "is there a playground", "when is the last entry", "where is lost property", "do you have a map",
    "is there somewhere quiet", "can I charge my phone", "are there any events this weekend",
    "what's the wifi password", "is the venue open on bank holidays", "who do I talk to about a complaint",
]
